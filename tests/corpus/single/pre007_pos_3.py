"""Evaluate the saved cats-vs-dogs model on the held-out folder."""
from keras.models import load_model
from keras.preprocessing.image import ImageDataGenerator

model = load_model("cats_dogs.keras")

test_gen = ImageDataGenerator(  # expect: PRE007
    rescale=1.0 / 255,
    rotation_range=20,
    horizontal_flip=True,
)
test_flow = test_gen.flow_from_directory(
    "data/test", target_size=(150, 150), batch_size=32, class_mode="binary", shuffle=False
)
loss, acc = model.evaluate(test_flow)
print(f"test accuracy: {acc:.3f}")
