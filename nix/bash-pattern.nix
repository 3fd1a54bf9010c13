# Why a Bash allow-list pattern of agent.json would grant every command: the Nix twin of
# apps/harness/src/domain/bash-pattern.ts (blanketPatternReason), message for message, so an
# agent.json that the daemon refuses is refused here with the same words. Pure: no nixpkgs.
# nix-template.test.ts runs both over the same patterns; change them together.
let
  inherit (builtins) any elem elemAt filter head isString length match split substring stringLength;

  # Command words that run whatever follows them (see bash-pattern.ts for why each is here).
  commandRunners = [
    "sh" "bash" "rbash" "dash" "ash" "zsh" "ksh" "mksh" "csh" "tcsh" "fish" "busybox" "toybox"
    "exec" "eval" "source" "." "command" "builtin" "coproc"
    "sudo" "su" "doas" "pkexec" "runuser" "setpriv" "capsh" "chroot" "nsenter" "unshare" "systemd-run"
    "env" "nice" "ionice" "chrt" "taskset" "nohup" "setsid" "stdbuf" "timeout" "time" "flock" "watch" "script"
    "xargs" "parallel" "strace" "ltrace" "gdb"
    "python" "pypy" "node" "nodejs" "deno" "bun" "perl" "ruby" "irb" "php" "lua" "luajit" "tclsh" "expect" "npx" "pnpx" "bunx"
    "awk" "gawk" "mawk" "nawk" "find" "sed" "ed" "ex" "vi" "vim" "nvim" "ssh"
  ];

  # Tools whose second word picks what runs, and which of those words are runners themselves.
  subcommandTools = {
    git = [ ];
    npm = [ "exec" "x" ];
    pnpm = [ "exec" "dlx" ];
    yarn = [ "exec" "dlx" ];
  };

  contains = needle: s: length (split needle s) > 1;
  startsWith = prefix: s: substring 0 (stringLength prefix) s == prefix;
  # JavaScript's String.prototype.trim, for the ASCII whitespace a pattern can hold.
  trim = s: let m = match "[[:space:]]*(.*[^[:space:]])?[[:space:]]*" s; in if m == null || head m == null then "" else head m;
  isAssignment = w: match "[A-Za-z_][A-Za-z0-9_]*=.*" w != null;

  # `/usr/bin/python3.11` → `python`: quotes and backslashes out, the directory and a version off.
  commandName = word:
    let
      bare = builtins.replaceStrings [ "\"" "'" "\\" ] [ "" "" "" ] word;
      parts = split "/" bare;
      base = elemAt parts (length parts - 1);
      stem = match "(.*[^0-9.])?[0-9.]*" base;
    in
    if base == "." then base else if head stem == null then "" else head stem;

  firstIndex = pred: list:
    let go = i: if i >= length list then null else if pred (elemAt list i) then i else go (i + 1);
    in go 0;

  reasonOfWords = p: words:
    let
      found = firstIndex (w: !isAssignment w) words;
      at = if found == null then length words else found;
      before = builtins.genList (i: elemAt words i) at;
      word = if at < length words then elemAt words at else null;
      command = commandName word;
      sub = if at + 1 < length words then elemAt words (at + 1) else null;
      runners = subcommandTools.${command} or null;
    in
    if any (w: contains "[*]" w) before then
      "bash pattern \"${p}\" may not leave an environment assignment open (a wildcard in it)"
    else if word == null || contains "[*]" word then
      "bash pattern \"${p}\" would allow every command (its command is a wildcard)"
    else if elem command commandRunners then
      "bash pattern \"${p}\" runs ${command}, which runs any command: name the commands themselves"
    else if runners == null || sub == null then
      null
    else if startsWith "-" sub || contains "[*]" sub then
      "bash pattern \"${p}\": the word after ${command} must be a literal subcommand (e.g. \"${command} status\"), not an option or wildcard"
    else if elem (commandName sub) runners then
      "bash pattern \"${p}\": ${command} ${sub} runs any command"
    else
      null;
in
{
  # The reason `pattern` is too broad, or null when it is narrow.
  blanketReason = pattern:
    let
      p = trim pattern;
      # `git:*` is the prefix form of `git *`: the same words.
      spaced = let m = match "(.*):[*]" p; in if m == null then p else "${head m} *";
      words = filter isString (split "[[:space:]]+" spaced);
    in
    if match "[*:[:space:]]*" p != null || startsWith "*" p then
      "bash pattern \"${p}\" would allow every command"
    else if contains "[.][.]" p then
      "bash pattern \"${p}\" may not contain \"..\" (a path out of where it points)"
    else if contains "[;&|`\n\r]|[$][(]" p then
      "bash pattern \"${p}\" may not contain shell control operators or substitutions (; & | ` $( newline)"
    else
      reasonOfWords p words;
}
