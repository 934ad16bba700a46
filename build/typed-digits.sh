#!/usr/bin/env bash
# Typed digits: renders 0-9 in every DejaVu and Liberation font Debian ships (ImageMagick), then reads them with
# `hybrid predict` through two models of the README's main recipe (784-128-10, Adam, batch 64, 5 epochs, seed 1):
# one trained on MNIST as it is, one with --augment. Prints each model's accuracy, overall and per font family.
# Needs ImageMagick (apt-get install -y imagemagick) and fonts-dejavu-core, fonts-liberation2; not part of CI.
# Usage: build/typed-digits.sh [WORK_DIR]   (models and pictures are kept there; default artifacts/typed-digits)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 CI=true
work=${1:-artifacts/typed-digits}
convert=$(command -v convert-im6.q16 || command -v magick || command -v convert || true)
if [ -z "$convert" ] || ! "$convert" -version 2>/dev/null | grep -q ImageMagick; then
  echo "ImageMagick is not installed (apt-get install -y imagemagick)" >&2
  exit 1
fi
mapfile -t fonts < <(find /usr/share/fonts -iname '*.ttf' | grep -i -E 'dejavu|liberation' | sort)
[ "${#fonts[@]}" -gt 0 ] || { echo "no DejaVu or Liberation fonts in /usr/share/fonts (apt-get install -y fonts-dejavu-core fonts-liberation2)" >&2; exit 1; }

dotnet build src/Hybrid.Cli -c Release -v quiet -nologo >/dev/null
hybrid=(dotnet src/Hybrid.Cli/bin/Release/net10.0/Hybrid.Cli.dll)
mkdir -p "$work/pictures"
[ -s "$work/plain.safetensors" ] || "${hybrid[@]}" train mnist --save "$work/plain.safetensors" >/dev/null
[ -s "$work/augment.safetensors" ] || "${hybrid[@]}" train mnist --augment --save "$work/augment.safetensors" >/dev/null

for font in "${fonts[@]}"; do
  name=$(basename "$font" .ttf)
  for d in 0 1 2 3 4 5 6 7 8 9; do
    out="$work/pictures/$name-$d.png"
    [ -s "$out" ] || "$convert" -size 160x160 xc:white -font "$font" -pointsize 110 -gravity center -fill black -annotate 0 "$d" "$out"
  done
done

for model in plain augment; do
  "${hybrid[@]}" predict "$work/$model.safetensors" "$work"/pictures/*.png --json > "$work/$model.jsonl" || true
done
python3 - "$work" <<'PY'
import json, os, sys, collections
work = sys.argv[1]
for model in ("plain", "augment"):
    total = right = 0
    families = collections.defaultdict(lambda: [0, 0])
    for line in open(os.path.join(work, model + ".jsonl")):
        o = json.loads(line)
        name = os.path.basename(o["file"])[:-4]
        font, digit = name.rsplit("-", 1)
        family = font.split("-")[0]
        ok = o.get("digit") == int(digit)
        total += 1; right += ok
        families[family][0] += ok; families[family][1] += 1
    print(f"{model:8s} {right}/{total} typed digits = {100 * right / total:.1f}%  " +
          ", ".join(f"{f} {100 * a / n:.0f}%" for f, (a, n) in sorted(families.items())))
PY
