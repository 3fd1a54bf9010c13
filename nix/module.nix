# services.hyperhive: the hive daemon (`hive serve`) on a NixOS host, its agents in
# nixos-containers built from nix/agent.nix. Not run on NixOS by this project's CI: see the README.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.hyperhive;
  inherit (lib) mkEnableOption mkIf mkOption optional types;
  isDefaultHome = cfg.home == "/var/lib/hive";
in
{
  options.services.hyperhive = {
    enable = mkEnableOption "hyperhive, a hive of Claude Code agents in NixOS containers";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The hyperhive package (`hive`, `hive-agent`, the dashboard).";
    };

    host = mkOption {
      type = types.str;
      default = "127.0.0.1";
      description = ''
        Address the dashboard and API listen on. Anything but loopback needs TLS in front
        (a reverse proxy); add its name to HIVE_PUBLIC_HOST through `environmentFile`.
      '';
    };

    port = mkOption {
      type = types.port;
      default = 7000;
      description = "Port of the dashboard and API.";
    };

    home = mkOption {
      type = types.strMatching "/[A-Za-z0-9._/@+=,:-]*";
      default = "/var/lib/hive";
      description = ''
        HIVE_HOME: database, sockets, agents' state and config repos. Plain characters only: its
        paths go into nixos-container's EXTRA_NSPAWN_FLAGS.
      '';
    };

    runtime = mkOption {
      type = types.enum [ "auto" "nixos-container" "process" ];
      default = "nixos-container";
      description = ''
        How agents are isolated: `nixos-container` (one user-namespaced NixOS container per
        agent, no network but its sockets) or `process` (UNISOLATED child processes, for
        development). `auto` picks nixos-container on NixOS.
      '';
    };

    environmentFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/run/secrets/hyperhive.env";
      description = ''
        systemd EnvironmentFile with the operator's model credentials (ANTHROPIC_API_KEY=…,
        or ANTHROPIC_AUTH_TOKEN / CLAUDE_CODE_OAUTH_TOKEN, and ANTHROPIC_BASE_URL). Read by
        systemd at start, never copied to the Nix store; the daemon's model gateway adds them to
        agents' requests, so no container ever holds them.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open `port` in the firewall (only useful with a non-loopback `host`).";
    };
  };

  config = mkIf cfg.enable {
    # nixos-container and the container@ unit template; flakes for `nixos-container --flake`.
    boot.enableContainers = true;
    nix.settings.experimental-features = [ "nix-command" "flakes" ];
    environment.systemPackages = [ cfg.package ];
    # `hive <verb>` as root finds the daemon (the CLI defaults to ./.hive).
    environment.variables.HIVE_HOME = cfg.home;
    networking.firewall.allowedTCPPorts = optional cfg.openFirewall cfg.port;
    # ProtectSystem below makes /etc read-only but for this directory, which must exist for that.
    systemd.tmpfiles.rules = [ "d /etc/nixos-containers 0755 root root - -" ] ++ optional (!isDefaultHome) "d ${cfg.home} 0700 root root - -";

    systemd.services.hyperhive = {
      description = "hyperhive: a hive of Claude Code agents";
      wantedBy = [ "multi-user.target" ];
      after = [ "network-online.target" ];
      wants = [ "network-online.target" ];
      # nixos-container, systemctl and nix come from the system profile.
      path = [ config.nix.package pkgs.git pkgs.util-linux pkgs.coreutils "/run/current-system/sw" ];
      environment = {
        HIVE_HOME = cfg.home;
        HIVE_HOST = cfg.host;
        HIVE_PORT = toString cfg.port;
        HIVE_RUNTIME = cfg.runtime;
        # Agent containers are built from the host's nixpkgs: nothing is fetched, the store is shared.
        HIVE_NIXPKGS = "${pkgs.path}";
        NODE_ENV = "production";
      };
      serviceConfig = {
        ExecStart = "${lib.getExe cfg.package} serve";
        WorkingDirectory = cfg.home;
        EnvironmentFile = optional (cfg.environmentFile != null) cfg.environmentFile;
        Restart = "on-failure";
        RestartSec = 5;
        # `hive serve` stops its agents first (12 s at most), then its servers.
        TimeoutStopSec = 30;
        UMask = "0077";
        StateDirectory = mkIf isDefaultHome "hive";
        StateDirectoryMode = "0700";

        # Hardening, as far as a root daemon that builds and runs containers allows. It must stay
        # root: it chowns each agent's state to the agent's uid range, writes
        # /etc/nixos-containers and unit drop-ins, and runs nixos-container (nix builds, systemctl).
        NoNewPrivileges = true;
        PrivateTmp = true;
        ProtectSystem = "full";
        ReadWritePaths = [ "/etc/nixos-containers" ];
        ProtectHome = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectClock = true;
        ProtectHostname = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        SystemCallArchitectures = "native";
        RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" "AF_NETLINK" ];
        # Not MemoryDenyWriteExecute: node's JIT writes code. Not PrivateDevices, ProtectKernelTunables
        # or ProtectControlGroups: nixos-container destroy unmounts, container@ units need cgroups.
      };
    };
  };
}
