# The agent container template. The daemon copies this directory next to a generated flake in
# applied/<name>/ (apps/harness/src/adapters/runtime/agent-flake.ts); the flake reads the agent's
# agent.json with builtins.fromJSON, so TS and Nix read one file.
#
#   evaluate / fromFile: PURE — agent.json + name → what the container is (model, tools, egress,
#                        limits, private users, binds, nspawn flags). No nixpkgs; `nix-instantiate
#                        --eval` runs it anywhere.
#   module:              the NixOS container configuration that wraps it (needs nixpkgs).
let
  inherit (builtins) all attrValues isAttrs isInt isList isString match toString;
  agentConfig = import ./agent-config.nix;

  # Mirrors of the daemon's constants (nix-template.test.ts compares them with the TS side).
  uidRange = { first = 603979776; size = 65536; last = 1879048192; };
  defaultModel = "haiku";
  managerName = "manager";
  builtinTools = [ "Edit" "Glob" "Grep" "Read" "Write" ];
  mcpTools = rec {
    agent = [ "send" "recv" ];
    manager = agent ++ [ "kill" "start" "restart" "update" "request_spawn" "commit_config" "request_apply_commit" "ask_operator" ];
  };
  # Paths inside the container: the same as the nspawn runtime's (Inside in nspawn-runtime.ts).
  inside = { project = "/project"; state = "/state"; claude = "/root/.claude"; socketDir = "/run/hive"; agents = "/agents"; };
  scratch = { memoryDivisor = 4; minMB = 32; };

  fail = what: throw "agent template: ${what}";
  # Host paths go into EXTRA_NSPAWN_FLAGS, which nixos-container's start script splits on spaces
  # and globs unquoted: only plain characters.
  hostPath = field: p:
    if isString p && match "/[A-Za-z0-9._/@+=,:-]*" p != null && match ".*(^|/)[.][.]?(/|$).*" p == null then p
    else fail "${field} must be an absolute path of plain characters (letters, digits . _ / @ + = , : -), got ${builtins.toJSON p}";

  bindFlag = b: "--bind${if b.readOnly then "-ro" else ""}=${b.hostPath}:${b.mountPoint}";
in
rec {
  # The container of agent `name`, from its parsed agent.json. Everything here is plain data.
  evaluate =
    { name
    , config
    , role ? (if name == managerName then "manager" else "agent")
    , uidBase
      # Its nixos-container name (11 characters at most), also its hostname.
    , containerName ? null
    , home ? "/var/lib/hive"
      # A repo checkout's root, bound read-only at /project (the hive runs from it); null for the Nix package.
    , project ? null
      # How the daemon starts the turn loop inside: its argv and environment.
    , launch ? { command = [ ]; environment = { }; }
    }:
    let
      c = agentConfig.validate config;
      base =
        if isInt uidBase && uidBase >= uidRange.first && uidBase <= uidRange.last && (uidBase / uidRange.size) * uidRange.size == uidBase then uidBase
        else fail "uidBase must be a multiple of 65536 from ${toString uidRange.first} to ${toString uidRange.last}, got ${builtins.toJSON uidBase}";
      checkedName =
        if isString name && match "[a-z][a-z0-9-]{0,30}" name != null then name
        else fail "name must match ^[a-z][a-z0-9-]{0,30}$, got ${builtins.toJSON name}";
      checkedContainer =
        if containerName == null || (isString containerName && match "[a-z0-9][a-z0-9-]{0,10}" containerName != null) then containerName
        else fail "containerName must be 1 to 11 of a-z 0-9 - (nixos-container's limit), got ${builtins.toJSON containerName}";
      checkedRole = if role == "agent" || role == "manager" then role else fail "role must be \"agent\" or \"manager\", got ${builtins.toJSON role}";
      h = hostPath "home" home;
      agentDir = "${h}/agents/${checkedName}";
      binds =
        (if project == null then [ ] else [{ hostPath = hostPath "project" project; mountPoint = inside.project; readOnly = true; }])
        ++ [
          { hostPath = "${agentDir}/state"; mountPoint = inside.state; readOnly = false; }
          { hostPath = "${agentDir}/claude"; mountPoint = inside.claude; readOnly = false; }
          { hostPath = "${h}/run/agents/${checkedName}"; mountPoint = inside.socketDir; readOnly = false; }
        ]
        # The manager edits every agent's proposed config repo (/agents/<name>/config).
        ++ (if checkedRole == "manager" then [{ hostPath = "${h}/agents"; mountPoint = inside.agents; readOnly = false; }] else [ ]);
      scratchMB = let n = c.limits.memoryMB / scratch.memoryDivisor; in if n > scratch.minMB then n else scratch.minMB;
      privateUsers = { inherit base; size = uidRange.size; ownership = "chown"; };
      checkedLaunch =
        if isAttrs launch && isList (launch.command or null) && all isString launch.command
          && isAttrs (launch.environment or null) && all isString (attrValues launch.environment)
        then launch
        else fail "launch must be { command = [ strings ]; environment = { strings }; }";
    in
    {
      name = checkedName;
      role = checkedRole;
      containerName = checkedContainer;
      description = c.description;
      # Operator overrides (dashboard, CLI) win at run time; this is agent.json's own choice.
      model = if c.model == null then defaultModel else c.model;
      tools = {
        builtins = builtinTools ++ (if c.bash == [ ] then [ ] else [ "Bash" ]);
        allowed = builtinTools ++ map (p: "Bash(${p})") c.bash ++ map (t: "mcp__hyperhive__${t}") mcpTools.${checkedRole};
      };
      inherit (c) bash egress limits packages notesCompactBytes turnTimeoutSeconds;
      inherit privateUsers binds scratchMB;
      # What the daemon writes to EXTRA_NSPAWN_FLAGS of /etc/nixos-containers/<container>.conf.
      nspawnFlags =
        [
          "--private-users=${toString base}:${toString uidRange.size}"
          # The container's own tree (/var/lib/nixos-containers/<container>) becomes the range's.
          "--private-users-ownership=${privateUsers.ownership}"
          "--no-new-privileges=yes"
        ]
        ++ map bindFlag binds
        ++ [
          "--tmpfs=/tmp:mode=1777,size=${toString scratchMB}M"
          "--tmpfs=/var/tmp:mode=1777,size=${toString scratchMB}M"
        ];
      # A drop-in for container@<container>.service: the agent dies alone when it hits them.
      serviceLimits = {
        MemoryMax = "${toString c.limits.memoryMB}M";
        TasksMax = c.limits.pids;
        CPUWeight = c.limits.cpuWeight;
      };
      launch = checkedLaunch;
    };

  # evaluate, reading agent.json itself.
  fromFile = args@{ file, ... }: evaluate (removeAttrs args [ "file" ] // { config = builtins.fromJSON (builtins.readFile file); });

  # The NixOS configuration inside the container: the turn loop as its one service, the agent's
  # packages, and nothing listening. The container ends when the turn loop does, so the daemon
  # sees a crash as container@<container>.service failing.
  module = hive: { lib, pkgs, ... }:
    let
      packageFor = attrPath: lib.attrByPath (lib.splitString "." attrPath) (throw "agent.json: packages: nixpkgs has no package \"${attrPath}\"") pkgs;
      packages = map packageFor hive.packages;
    in
    {
      boot.isContainer = true;
      networking.hostName = lib.mkIf (hive.containerName != null) hive.containerName;
      networking.useDHCP = false;
      # Only lo inside (private network): nothing to filter, nothing to resolve remotely.
      networking.firewall.enable = false;
      documentation.enable = false;
      system.stateVersion = lib.mkDefault "24.11";

      environment.systemPackages = packages ++ [ pkgs.git pkgs.bashInteractive ];
      # The payload opens the operator's shells as /bin/bash (agent/terminal-host.ts), as under nspawn.
      systemd.tmpfiles.rules = [ "L+ /bin/bash - - - - ${pkgs.bashInteractive}/bin/bash" ];
      # For a look from the terminal; the daemon, not this file, decides each turn's model and tools.
      environment.etc."hyperhive/agent.json".text = builtins.toJSON { inherit (hive) name role model tools egress limits packages; };

      systemd.services.hive-agent = {
        description = "hyperhive turn loop of ${hive.name}";
        wantedBy = [ "multi-user.target" ];
        after = [ "network.target" ];
        path = [ pkgs.git pkgs.coreutils pkgs.bashInteractive ] ++ packages;
        environment = hive.launch.environment;
        unitConfig = {
          SuccessAction = "exit";
          FailureAction = "exit";
        };
        serviceConfig = {
          ExecStart = lib.escapeShellArgs hive.launch.command;
          WorkingDirectory = inside.state;
          # HIVE_RUN_DIR=/run/agent: scratch of the turn loop (prompt file, MCP config).
          RuntimeDirectory = "agent";
          Restart = "no";
          KillMode = "mixed";
        };
      };
    };
}
