/**
 * The completion scripts `kuke completion SHELL` prints. Each asks the kuke it completes for
 * (`WORD0 __complete -- WORDS…`, so a kuke outside PATH completes too) and reads the answer: a
 * first line `words` followed by one candidate a line, or `files` for file names.
 */

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

const BASH = `# kuke completion for bash: source it, or save it as
# /etc/bash_completion.d/kuke (kuke completion bash > /etc/bash_completion.d/kuke)
_kuke_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  local -a out
  out=($("\${COMP_WORDS[0]}" __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  if [[ \${out[0]} == files ]]; then
    compopt -o filenames 2>/dev/null || true
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=("\${out[@]:1}")
  fi
}
complete -F _kuke_complete kuke
`;

const ZSH = `#compdef kuke
# kuke completion for zsh: save it as _kuke in a directory of $fpath
# (kuke completion zsh > "\${fpath[1]}/_kuke"), or source it after compinit
_kuke() {
  local -a out
  out=("\${(@f)$(\${words[1]} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ \${out[1]} == files ]]; then
    _files
  else
    compadd -- "\${(@)out[2,-1]}"
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _kuke "$@"; else compdef _kuke kuke; fi
`;

const FISH = `# kuke completion for fish: save it as ~/.config/fish/completions/kuke.fish
# (kuke completion fish > ~/.config/fish/completions/kuke.fish)
function __kuke_complete
    set -l tokens (commandline -opc)
    set -l out ($tokens[1] __complete -- $tokens[2..-1] (commandline -ct) 2>/dev/null)
    if test "$out[1]" = files
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $out[2..-1]
    end
end
complete -c kuke -f -a '(__kuke_complete)'
`;

export function completionScript(shell: Shell): string {
  switch (shell) {
    case "bash":
      return BASH;
    case "zsh":
      return ZSH;
    case "fish":
      return FISH;
  }
}
