/**
 * Notifications: email over SMTP (nodemailer, the standard Node SMTP client) and JSON webhooks
 * with a Slack-compatible `text`. A failed notification is a warning; it never fails a deploy.
 */
import type { NotifySettings } from "../config/resolve.js";
import type { EventBus } from "../events/bus.js";
import type { EventSink, SlipwayEvent, Timed } from "../events/types.js";

export type NotifyEvent =
  | "deploy.started"
  | "deploy.succeeded"
  | "deploy.failed"
  | "rollback.succeeded"
  | "rollback.failed"
  | "prestep.finished"
  | "announcement";

export interface Notice {
  event: NotifyEvent;
  env: string;
  app: string;
  text: string;
  details: Record<string, unknown>;
}

const wants = (events: string[] | undefined, e: NotifyEvent) => !events || events.includes(e);

export class Notifier {
  private pending: Promise<void>[] = [];
  constructor(
    private settings: NotifySettings,
    private bus: EventBus,
    private redact: (t: string) => string,
  ) {}

  get enabled(): boolean {
    return this.settings.webhooks.length > 0 || this.settings.email !== undefined;
  }

  send(n: Notice): void {
    const safe: Notice = JSON.parse(this.redact(JSON.stringify(n)));
    for (const w of this.settings.webhooks) if (wants(w.events, n.event)) this.track(this.webhook(w.url, safe), "webhook");
    const mail = this.settings.email;
    if (mail && wants(mail.events, n.event)) this.track(this.email(mail, safe), `email to ${mail.to.join(", ")}`);
  }

  /** Wait for every notification in flight (called before the CLI exits). */
  async flush(): Promise<void> {
    await Promise.allSettled(this.pending);
    this.pending = [];
  }

  private track(p: Promise<void>, what: string): void {
    this.pending.push(p.catch((e) => this.bus.warn(`notification (${what}) failed: ${this.redact((e as Error).message)}`)));
  }

  private async webhook(url: string, n: Notice): Promise<void> {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: n.text, event: n.event, env: n.env, app: n.app, ...n.details }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} from the webhook`);
  }

  private async email(mail: NonNullable<NotifySettings["email"]>, n: Notice): Promise<void> {
    const { default: nodemailer } = await import("nodemailer");
    const transport = nodemailer.createTransport({
      host: mail.host,
      port: mail.port,
      secure: mail.secure,
      auth: mail.user ? { user: mail.user, pass: mail.password ?? "" } : undefined,
      connectionTimeout: 10_000,
    });
    await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: `[${n.app} ${n.env}] ${n.text}`,
      text: `${n.text}\n\n${Object.entries(n.details)
        .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join("\n")}\n`,
    });
    transport.close();
  }
}

/** Turns run:start / run:end of deploys and rollbacks into notifications. */
export class NotifySink implements EventSink {
  private start: Extract<SlipwayEvent, { type: "run:start" }> | null = null;
  constructor(
    private notifier: Notifier,
    private app: string,
    private env: string,
  ) {}

  handle(e: Timed<SlipwayEvent>): void {
    if (e.type === "run:start" && (e.verb === "deploy" || e.verb === "rollback")) {
      this.start = e;
      if (e.verb === "deploy") this.notify("deploy.started", `deploy of ${e.releaseId} (${short(e.commit)}) to ${this.env} started`, e);
    } else if (e.type === "run:end" && this.start) {
      const s = this.start;
      const what = s.verb === "deploy" ? `deploy of ${s.releaseId} (${short(s.commit)})` : `rollback to ${s.releaseId}`;
      const event = `${s.verb}.${e.ok ? "succeeded" : "failed"}` as NotifyEvent;
      this.notify(event, `${what} ${e.ok ? "succeeded" : "FAILED"} on ${this.env}${e.ok ? "" : `: ${e.summary.find((l) => l.trim()) ?? ""}`}`, {
        ...s,
        summary: e.summary,
        durationMs: e.durationMs,
      });
      this.start = null;
    }
  }

  async close(): Promise<void> {
    await this.notifier.flush();
  }

  private notify(event: NotifyEvent, text: string, details: object): void {
    const { type: _t, ts: _ts, ...rest } = details as Record<string, unknown>;
    this.notifier.send({ event, env: this.env, app: this.app, text, details: rest });
  }
}

const short = (c?: string) => (c ? c.slice(0, 12) : "?");
