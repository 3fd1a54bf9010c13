# The hive as a Nix package: the npm workspace built once (Prisma client, `npm run build` when the
# root package has one, the dashboard's static export), installed under lib/hyperhive with `hive`
# and `hive-agent` on PATH. Not built on this project's CI (no nixpkgs there): see the README.
{ lib
, buildNpmPackage
, nodejs_22
, python3
, pkg-config
, makeWrapper
, autoPatchelfHook
, stdenv
, git
, util-linux
}:

let
  root = ../.;
  manifest = lib.importJSON (root + "/package.json");
in
buildNpmPackage {
  pname = "hyperhive";
  inherit (manifest) version;

  # The workspace without what a checkout accumulates (state, build output, test results).
  src = lib.cleanSourceWith {
    src = lib.cleanSource root;
    filter = path: type:
      let rel = lib.removePrefix (toString root + "/") (toString path);
      in !(builtins.elem rel [ ".hive" "node_modules" "test-results" "apps/harness/dist" "apps/web/.next" "apps/web/out" "bench/results.json" ]);
  };

  # `nix build` prints the right hash on the first try; npm's lock file pins every package.
  npmDepsHash = lib.fakeHash;
  nodejs = nodejs_22;
  makeCacheWritable = true;

  # node-gyp builds better-sqlite3 and node-pty; claude's prebuilt binary gets a NixOS interpreter.
  nativeBuildInputs = [ python3 pkg-config makeWrapper autoPatchelfHook ];
  buildInputs = [ stdenv.cc.cc.lib ];
  # claude.exe is a single-file binary with its program appended: strip would cut it off.
  dontStrip = true;

  env = {
    NEXT_TELEMETRY_DISABLED = "1";
    # Prisma must not try to download an engine; generate needs none (packages/db/package.json).
    PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING = "1";
  };

  buildPhase = ''
    runHook preBuild
    npm run db:generate
    if node -e 'process.exit(require("./package.json").scripts?.build ? 0 : 1)'; then
      npm run build
    fi
    # The dashboard, unless the root build made it already.
    if [ ! -d apps/web/out ]; then
      npm run build -w @hive/web
    fi
    runHook postBuild
  '';

  installPhase = ''
    runHook preInstall
    lib=$out/lib/hyperhive
    mkdir -p $lib $out/bin
    # Workspace links in node_modules (@hive/* → ../../apps, ../../packages) stay relative.
    cp -a package.json node_modules apps packages prisma nix $lib/
    rm -rf $lib/apps/web/.next
    # hive is a sh script that runs node on the CLI's startup snapshot (built above by this node).
    makeWrapper $lib/apps/harness/bin/hive $out/bin/hive \
      --prefix PATH : ${lib.makeBinPath [ nodejs_22 git util-linux ]}
    makeWrapper ${nodejs_22}/bin/node $out/bin/hive-agent \
      --add-flags $lib/apps/harness/bin/hive-agent.mjs \
      --prefix PATH : ${lib.makeBinPath [ git util-linux ]}
    runHook postInstall
  '';

  passthru.nodejs = nodejs_22;

  meta = {
    description = "A self-hosted hive of Claude Code agents on one Linux host";
    mainProgram = "hive";
    platforms = lib.platforms.linux;
  };
}
