/**
 * Shell completion scripts. Each asks `slipway completion --complete -- <words>` for the candidates
 * of the word under the cursor, so the knowledge stays in one place (src/cli/complete.ts); stderr is
 * dropped because a Tab key must never print into the prompt. The command is the word the user
 * typed (`${COMP_WORDS[0]}`), so a slipway outside PATH completes too.
 */

/** Supported shells. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

const BASH = `# slipway completion for bash: source <(slipway completion bash)   (or save it in /etc/bash_completion.d/slipway)
_slipway() {
  local IFS=$'\\n'
  COMPREPLY=($("\${COMP_WORDS[0]}" completion --complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
# -o default: when slipway offers nothing (file arguments), bash completes file names.
complete -o default -F _slipway slipway
`;

const ZSH = `#compdef slipway
# slipway completion for zsh: source <(slipway completion zsh)   (after compinit), or save as _slipway in $fpath
_slipway() {
  local -a candidates
  candidates=("\${(@f)$("\${words[1]}" completion --complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  if (( \${#candidates} )); then
    compadd -a candidates
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" = "_slipway" ]]; then
  _slipway "$@"
else
  compdef _slipway slipway
fi
`;

const FISH = `# slipway completion for fish: slipway completion fish > ~/.config/fish/completions/slipway.fish
function __slipway_complete
    set -l tokens (commandline -opc)
    $tokens[1] completion --complete -- $tokens[2..-1] (commandline -ct) 2>/dev/null
end
complete -c slipway -f -a '(__slipway_complete)'
`;

/** The completion script for `shell`. */
export function completionScript(shell: Shell): string {
  return { bash: BASH, zsh: ZSH, fish: FISH }[shell];
}
