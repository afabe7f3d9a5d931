"""Fine-tune DistilBERT for intent detection with a hand-written loop."""
import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed

set_seed(1234)
CHECKPOINT = "distilbert-base-uncased"

tokenizer = AutoTokenizer.from_pretrained(CHECKPOINT)
model = AutoModelForSequenceClassification.from_pretrained(CHECKPOINT, num_labels=12)
data = torch.load("data/intents_tokenized.pt", weights_only=True)
loader = DataLoader(list(zip(data["input_ids"], data["attention_mask"], data["labels"])),
                    batch_size=32, shuffle=True)
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)

model.train()
for epoch in range(3):
    for input_ids, attention_mask, labels in loader:
        out = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()

model.save_pretrained("models/intent-distilbert")
tokenizer.save_pretrained("models/intent-distilbert")
