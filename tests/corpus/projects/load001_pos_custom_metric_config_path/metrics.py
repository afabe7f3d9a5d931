"""Custom loss and metric for the (very imbalanced) fraud labels."""
import tensorflow as tf


def focal_loss(y_true, y_pred, gamma=2.0, alpha=0.25):
    y_true = tf.cast(y_true, y_pred.dtype)
    bce = tf.keras.backend.binary_crossentropy(y_true, y_pred)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    alpha_t = y_true * alpha + (1 - y_true) * (1 - alpha)
    return tf.reduce_mean(alpha_t * tf.pow(1.0 - p_t, gamma) * bce)


def recall_at_1pct_fpr(y_true, y_pred):
    neg_scores = tf.boolean_mask(y_pred, tf.equal(y_true, 0))
    threshold = tf.sort(neg_scores, direction="DESCENDING")[tf.size(neg_scores) // 100]
    pos = tf.boolean_mask(y_pred, tf.equal(y_true, 1))
    return tf.reduce_mean(tf.cast(pos > threshold, tf.float32))
