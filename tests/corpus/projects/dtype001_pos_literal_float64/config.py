MODEL_PATH = "models/iris_mlp.keras"
SPECIES = ["setosa", "versicolor", "virginica"]
SEED = 0
