{
  description = "hyperhive-ts: a self-hosted hive of Claude Code agents on one Linux host";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forEach = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forEach (pkgs: rec {
        hyperhive = pkgs.callPackage ./nix/package.nix { };
        default = hyperhive;
      });

      # services.hyperhive, with this flake's package as the default.
      nixosModules.default = { lib, pkgs, ... }: {
        imports = [ ./nix/module.nix ];
        services.hyperhive.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      };

      # The agent container template (pure part: evaluate, fromFile; NixOS part: module).
      lib.agent = import ./nix/agent.nix;

      # The template on the sample agent.json files (pure: it runs at evaluation).
      checks = forEach (pkgs: {
        agent-template = pkgs.runCommand "hyperhive-agent-template" { } ''
          echo "${toString (import ./nix/tests/agent-template.nix)} template checks passed" > $out
        '';
      });
    };
}
