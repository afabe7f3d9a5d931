"""Load the full pickled model object that the old training script saved with torch.save(model)."""
import torch


class Predictor:
    def __init__(self, path="legacy/recommender_full.pt"):
        self.model = torch.load(path, map_location="cpu", weights_only=False)  # expect: SAFE001
        self.model.eval()

    @torch.no_grad()
    def predict(self, user_ids: torch.Tensor, item_ids: torch.Tensor) -> torch.Tensor:
        return self.model(user_ids, item_ids).sigmoid()
