#!/bin/sh
# Copy the real soundtrack music of four Debian packages into one folder per style, for
# benchmarks/validate_scores.py and benchmarks/calibrate_repetition.py (no audio is committed).
#   sudo apt-get install -y nexuiz-music singularity-music supertuxkart-data ufoai-music
#   sh benchmarks/real_music.sh /tmp/music
# Style -> shipped genre: nexuiz -> electronic, singularity -> ambient, supertuxkart -> pop, ufoai -> cinematic.
# The file names used are listed in benchmarks/data/real_music_files.txt.
set -eu
out=${1:?usage: real_music.sh OUT_DIR}
mkdir -p "$out/electronic" "$out/ambient" "$out/pop" "$out/cinematic"
unzip -o -j -q /usr/share/games/nexuiz/data/music.pk3 'sound/cdtracks/*.ogg' -x 'sound/cdtracks/thunder.ogg' \
  -d "$out/electronic"  # thunder.ogg: thunderclaps between digital silence, a sound effect, not music
cp /usr/share/games/singularity/music/*.ogg /usr/share/games/singularity/music/*/*.ogg "$out/ambient/"
cp /usr/share/games/supertuxkart/data/music/*.ogg "$out/pop/"
unzip -o -j -q /usr/share/games/ufoai/base/0music.pk3 'music/*.ogg' -d "$out/cinematic"
for style in electronic ambient pop cinematic; do
  echo "$style: $(ls "$out/$style" | wc -l) files"
done
