# bench: Stream's quad-core ResNet-18 example (its c3: fused, 1118 CNs)
# run whole from its files with `scheduler: stream`: ONNX parse, Stream's
# CN table with every CN costed by the mapper (no cache), the schedule and
# the reports. Stream itself takes 191 s for it on this kind of machine.
#   bench: stream_resnet18_quad wall_s V   (best of 3)
set -u
best=0
for i in 1 2 3; do
  t0=${EPOCHREALTIME/./}   # microseconds (bash 5)
  "$EVSIM" run configs/stream_resnet18_quad_fused.yaml --json /dev/null --report "" -q >/dev/null \
    || { echo "bench: stream_quad: the run failed" >&2; exit 1; }
  t=$(( ${EPOCHREALTIME/./} - t0 ))
  if [ $best -eq 0 ] || [ $t -lt $best ]; then best=$t; fi
done
printf 'bench: stream_resnet18_quad wall_s %d.%06d\n' $((best / 1000000)) $((best % 1000000))
