"""Language identification before routing tickets to the right team (fastText)."""
import fasttext

model = fasttext.load_model("models/lid.176.bin")


def predict_language(text: str) -> str:
    labels, _ = model.predict(text.replace("\n", " "), k=1)
    return labels[0].removeprefix("__label__")


if __name__ == "__main__":
    print(predict_language("Bonjour, ma commande n'est pas arrivée."))
