from pathlib import Path

ROOT = Path(__file__).resolve().parent
WEIGHTS_PATH = ROOT / "weights" / "speech_cmd.pt"
N_MELS = 64
LABELS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
