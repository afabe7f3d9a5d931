"""Evaluate the saved cats-vs-dogs model on the held-out folder."""
from tensorflow.keras.models import load_model
from tensorflow.keras.preprocessing.image import ImageDataGenerator

model = load_model("cats_dogs.keras")

test_gen = ImageDataGenerator(rescale=1.0 / 255)
test_flow = test_gen.flow_from_directory(
    "data/test", target_size=(150, 150), batch_size=32, class_mode="binary", shuffle=False
)
loss, acc = model.evaluate(test_flow)
print(f"test accuracy: {acc:.3f}")
