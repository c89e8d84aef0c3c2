#!/bin/bash
# Explains a whole data set on a Slurm cluster: one array task per shard, then one merge job.
#
#   sbatch docs/cluster/slurm-dataset.sh                       # the array (16 shards below)
#   sbatch --dependency=afterok:<array job id> --wrap "wingbeats-xai dataset merge $OUT"
#
# or both at once:
#   jid=$(sbatch --parsable docs/cluster/slurm-dataset.sh) && sbatch --dependency=afterok:$jid --wrap "wingbeats-xai dataset merge /scratch/$USER/explained"
#
# Each task reads its shard from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (index from 0: keep --array=0-(N-1), or
# any range — SLURM_ARRAY_TASK_MIN is subtracted). A task that is killed, pre-empted or requeued resumes where it
# stopped (at most one chunk of --chunk-size examples is redone): just run the same command again, or let --requeue do it.
# Every task writes only its own part files under $OUT/parts, so the output folder must be on a shared file system.
#SBATCH --job-name=wingbeats-dataset
#SBATCH --array=0-15
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=12:00:00
#SBATCH --requeue
#SBATCH --output=wingbeats-dataset-%A_%a.log
set -euo pipefail

MODEL=${MODEL:-$HOME/models/Mosquito_CNN_PSD.h5}
INPUT=${INPUT:-$HOME/data/Wingbeats}            # one sub-folder per species, or a CSV manifest path,label[,split]
OUT=${OUT:-/scratch/$USER/explained}
METHODS=${METHODS:-saliency,integrated-gradients}

# One process per core is what wingbeats-xai uses; ask Slurm for one CPU per task and run more tasks instead.
wingbeats-xai dataset --model "$MODEL" --input "$INPUT" --methods "$METHODS" --steps 50 --out "$OUT" --quiet
