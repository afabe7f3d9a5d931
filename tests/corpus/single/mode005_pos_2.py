"""Wraps the YOLO-style detector for the annotation tool."""
import torch


class Detector:
    def __init__(self, weights="weights/detector_ts.pt", device="cuda"):
        self.device = device
        self.model = torch.jit.load(weights, map_location=device)
        self.model.eval()

    def infer(self, images: torch.Tensor, conf=0.25):
        preds = self.model(images.to(self.device).float() / 255.0)  # expect: MODE005
        boxes, scores, labels = preds
        keep = scores > conf
        return boxes[keep].cpu().tolist(), labels[keep].cpu().tolist()
