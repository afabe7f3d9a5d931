"""Run the defect classifier; a partial checkpoint is accepted only for the head."""
import torch
import torchvision


def build(checkpoint="checkpoints/defects_resnet34.pth"):
    model = torchvision.models.resnet34(num_classes=4)
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected, f"unexpected keys in checkpoint: {unexpected}"
    assert all(k.startswith("fc.") for k in missing), f"missing backbone weights: {missing}"
    model.eval()
    return model


@torch.no_grad()
def predict(model, batch):
    return model(batch).softmax(dim=1)
