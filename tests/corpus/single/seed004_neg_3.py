"""High-throughput batch inference for the segmentation model (no training here)."""
import sys

import torch

torch.backends.cudnn.benchmark = True  # fixed input size: let cuDNN pick the fastest kernels

model = torch.jit.load("export/lesion_seg_ts.pt", map_location="cuda")
model.eval()

batches = torch.load(sys.argv[1], weights_only=True)
with torch.inference_mode():
    masks = [torch.sigmoid(model(b.cuda().float())) > 0.5 for b in batches]
torch.save([m.cpu() for m in masks], "masks.pt")
