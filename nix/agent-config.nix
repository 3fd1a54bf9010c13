# agent.json, validated and completed with its defaults: the Nix twin of agentConfigSchema in
# apps/harness/src/domain/agent-config.ts (one file, two readers). A bad field stops evaluation
# with `agent.json: <field>: <what is wrong>`. Pure: no nixpkgs. nix-template.test.ts checks both
# readers against the same files; change them together.
let
  inherit (builtins) all attrNames concatStringsSep elemAt filter floor genList head isAttrs isFloat isInt isList isString length match stringLength tail toJSON;
  bashPattern = import ./bash-pattern.nix;

  defaults = {
    notesCompactBytes = 16 * 1024;
    turnTimeoutSeconds = 1800;
    limits = { memoryMB = 2048; pids = 512; cpuWeight = 100; };
  };

  fail = field: message: throw "agent.json: ${if field == "" then "" else "${field}: "}${message}";
  # Free text is bounded in UTF-16 units on the TS side; its UTF-8 is at most 3 bytes per unit.
  maxUtf8Bytes = units: units * 3;

  checkKeys = field: allowed: value:
    let unknown = filter (k: !(builtins.elem k allowed)) (attrNames value);
    in if unknown == [ ] then value else fail field "unknown key \"${head unknown}\" (known: ${concatStringsSep ", " allowed})";

  # JSON numbers: 2048 and 2048.0 are the same integer to JSON.parse; fromJSON keeps them apart.
  integer = field: lo: hi: value:
    let n = if isFloat value && floor value == value then floor value else value;
    in if isInt n && n >= lo && n <= hi then n else fail field "must be an integer from ${toString lo} to ${toString hi} (got ${toJSON value})";

  listOf = field: max: check: value:
    if !(isList value) then fail field "must be a list"
    else if length value > max then fail field "at most ${toString max} entries"
    else genList (i: check "${field}.${toString i}" (elemAt value i)) (length value);

  string = field: value: if isString value then value else fail field "must be a string (got ${toJSON value})";

  model = field: value:
    let s = string field value; in
    if s == "" then fail field "model name is empty"
    else if stringLength s > 128 then fail field "model name is longer than 128 characters"
    else if match "[A-Za-z0-9][]A-Za-z0-9._:/@[-]*" s == null then
      fail field "model name must start with a letter or digit and contain only letters, digits and . _ - : / @ [ ] (no spaces or shell characters)"
    else s;

  bash = field: value:
    let
      s = string field value;
      reason = bashPattern.blanketReason s;
    in
    if s == "" then fail field "bash pattern is empty"
    else if stringLength s > maxUtf8Bytes 200 then fail field "bash pattern is longer than 200 characters"
    else if match ".*[()].*" s != null then fail field "bash pattern may not contain ( or )"
    else if reason != null then fail field reason
    else s;

  label = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?";
  egress = field: value:
    let
      s = string field value;
      portOf = m: builtins.fromJSON (let p = elemAt m (length m - 1); in if match "0*" p != null then "0" else head (match "0*([0-9]+)" p));
      dns = match "(${label}[.])*${label}:([0-9]{1,5})" s;
      ip = match "\\[[0-9a-fA-F:.]+]:([0-9]{1,5})" s;
      m = if dns != null then dns else ip;
    in
    if stringLength s > 260 || m == null then fail field "egress entry must be host:port (a DNS name or an IP literal, lowercase, no scheme)"
    else if portOf m < 1 || portOf m > 65535 then fail field "egress port must be 1..65535"
    else s;

  # Nixpkgs attribute paths (`ripgrep`, `python3Packages.requests`): names only, never an expression.
  package = field: value:
    let s = string field value; in
    if stringLength s > 200 || match "[a-zA-Z_][a-zA-Z0-9_'-]*([.][a-zA-Z_][a-zA-Z0-9_'-]*)*" s == null then
      fail field "must be a nixpkgs attribute path such as \"ripgrep\" or \"python3Packages.requests\""
    else s;

  limits = field: value:
    let v = checkKeys field [ "memoryMB" "pids" "cpuWeight" ] (if isAttrs value then value else fail field "must be an object");
    in {
      memoryMB = integer "${field}.memoryMB" 64 (1024 * 1024) (v.memoryMB or defaults.limits.memoryMB);
      pids = integer "${field}.pids" 16 4194304 (v.pids or defaults.limits.pids);
      cpuWeight = integer "${field}.cpuWeight" 1 10000 (v.cpuWeight or defaults.limits.cpuWeight);
    };

  known = [ "description" "model" "bash" "notesCompactBytes" "turnTimeoutSeconds" "egress" "limits" "packages" ];
in
{
  inherit defaults;

  # The parsed agent.json (builtins.fromJSON) → every field checked, defaults filled in.
  validate = raw:
    let
      c = checkKeys "" known (if isAttrs raw then raw else throw "agent.json: must be a JSON object");
      # Force every check: a bad field fails evaluation even where nothing reads it.
      checked = {
        description = if c ? description then (let s = string "description" c.description; in if stringLength s > maxUtf8Bytes 4096 then fail "description" "longer than 4096 characters" else s) else null;
        model = if c ? model then model "model" c.model else null;
        bash = listOf "bash" 64 bash (c.bash or [ ]);
        notesCompactBytes = integer "notesCompactBytes" 1024 (1024 * 1024) (c.notesCompactBytes or defaults.notesCompactBytes);
        turnTimeoutSeconds = integer "turnTimeoutSeconds" 1 (24 * 60 * 60) (c.turnTimeoutSeconds or defaults.turnTimeoutSeconds);
        egress = listOf "egress" 64 egress (c.egress or [ ]);
        limits = limits "limits" (c.limits or { });
        packages = listOf "packages" 64 package (c.packages or [ ]);
      };
    in
    builtins.deepSeq checked checked;
}
