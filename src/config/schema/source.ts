/** `source`: a git repository and ref, or a local directory. */
import { z } from "zod";

/** Where code comes from (the app's or a component's). */
export const sourceSchema = z.union(
  [
    z
      .object({
        git: z.string().min(1).describe("Git repository URL or path (relative to the config file)."),
        ref: z.string().min(1).default("main").describe("Branch, tag or full commit to deploy."),
        distribute: z
          .enum(["git", "artifact", "push"])
          .default("push")
          .describe(
            "`push` (default): the control machine sends each host only the files that changed since the commit it runs, over the SSH connection it holds (hosts need no git and no access to the repository); the rest is copied from its current release. `git`: each host fetches the commit into its own mirror (every host must reach the repository). `artifact`: export and build once on the control machine (`artifact_build`), upload only changed files.",
          ),
        artifact_build: z
          .array(z.string().min(1))
          .default([])
          .describe("artifact mode: commands run on the control machine in a fresh export of the commit before upload."),
        artifact_path: z.string().min(1).default(".").describe("artifact mode: the directory (inside the export) that becomes the release."),
      })
      .strict(),
    z
      .object({
        dir: z.string().min(1).describe("A local directory to deploy as-is (relative to the config file)."),
      })
      .strict(),
  ],
  { error: "expected {git, ref} or {dir}" },
);
