"""Custom training loop for the X-ray classifier (GradientTape)."""
import tensorflow as tf

tf.keras.utils.set_random_seed(0)

train_ds = tf.keras.utils.image_dataset_from_directory(
    "data/xray/train", image_size=(224, 224), batch_size=32, seed=0
).map(lambda x, y: (x / 255.0, y))

base = tf.keras.applications.DenseNet121(include_top=False, weights=None, input_shape=(224, 224, 3))
model = tf.keras.Sequential([base, tf.keras.layers.GlobalAveragePooling2D(),
                             tf.keras.layers.Dropout(0.3), tf.keras.layers.Dense(2)])
optimizer = tf.keras.optimizers.Adam(1e-4)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


for epoch in range(10):
    for x, y in train_ds:
        loss = train_step(x, y)
    print(f"epoch {epoch}: loss {float(loss):.4f}")
model.save("models/xray_densenet.keras")
