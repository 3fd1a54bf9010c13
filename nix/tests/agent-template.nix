# Pure checks of the container template on the sample agent.json files, with no nixpkgs:
#   nix-instantiate --eval --strict nix/tests/agent-template.nix
# prints how many checks passed, or fails naming the first one that did not. The flake's check and
# nix-template.test.ts run it; nix-template.test.ts also compares every field with the TS side.
let
  template = import ../agent.nix;
  base = 603979776;
  alpha = file: template.fromFile { inherit file; name = "alpha"; uidBase = base; };
  refused = file: !(builtins.tryEval (builtins.deepSeq (alpha file) true)).success;
  check = what: actual: expected:
    if actual == expected then true
    else throw "check ${what}: expected ${builtins.toJSON expected}, got ${builtins.toJSON actual}";

  builtinTools = [ "Edit" "Glob" "Grep" "Read" "Write" ];
  agentMcp = [ "mcp__hyperhive__send" "mcp__hyperhive__recv" ];
  minimal = alpha ./samples/minimal.json;
  full = alpha ./samples/full.json;
  partial = alpha ./samples/partial-limits.json;
  manager = template.fromFile { file = ./samples/minimal.json; name = "manager"; uidBase = base + 65536; home = "/srv/hive"; };
  invalid = builtins.attrNames (builtins.readDir ./invalid);

  checks = [
    (check "minimal: default model" minimal.model "haiku")
    (check "minimal: no Bash at all" minimal.tools { builtins = builtinTools; allowed = builtinTools ++ agentMcp; })
    (check "minimal: default limits" minimal.limits { memoryMB = 2048; pids = 512; cpuWeight = 100; })
    (check "minimal: no egress" minimal.egress [ ])
    (check "minimal: private users" minimal.privateUsers { inherit base; size = 65536; ownership = "chown"; })
    (check "minimal: binds" (map (b: b.mountPoint) minimal.binds) [ "/state" "/root/.claude" "/run/hive" ])
    (check "full: model" full.model "claude-sonnet-4-5@v1:0")
    (check "full: Bash only as its patterns" full.tools {
      builtins = builtinTools ++ [ "Bash" ];
      allowed = builtinTools ++ [ "Bash(git status)" "Bash(git log *)" "Bash(npm test)" "Bash(LANG=C ls -la *)" ] ++ agentMcp;
    })
    (check "full: egress" full.egress [ "registry.npmjs.org:443" "Example.com:8080" "[2001:db8::1]:443" ])
    (check "full: unit limits" full.serviceLimits { MemoryMax = "512M"; TasksMax = 128; CPUWeight = 50; })
    (check "full: packages" full.packages [ "ripgrep" "python3Packages.requests" ])
    (check "full: scratch is a quarter of memory" full.scratchMB 128)
    (check "partial: 100.0 is the integer 100, the rest defaults" partial.limits { memoryMB = 100; pids = 512; cpuWeight = 100; })
    (check "partial: scratch has a floor" partial.scratchMB 32)
    (check "manager: its role by name" manager.role "manager")
    (check "manager: its tools" (builtins.length manager.tools.allowed) (5 + 10))
    (check "manager: /agents bound from its home" (builtins.elemAt manager.binds 3) { hostPath = "/srv/hive/agents"; mountPoint = "/agents"; readOnly = false; })
    (check "manager: its own range" manager.privateUsers.base (base + 65536))
    (check "a uid base off the range is refused" (builtins.tryEval (builtins.deepSeq (template.fromFile { file = ./samples/minimal.json; name = "alpha"; uidBase = 0; }) true)).success false)
    (check "a home with a space is refused" (builtins.tryEval (builtins.deepSeq (template.fromFile { file = ./samples/minimal.json; name = "alpha"; uidBase = base; home = "/var/lib/my hive"; }) true)).success false)
  ] ++ map (file: check "invalid/${file} is refused" (refused (./invalid + "/${file}")) true) invalid;
in
builtins.length (builtins.filter (passed: passed) checks)
