"""Daily sales forecast: time-ordered hold-out, no shuffling."""
import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.model_selection import TimeSeriesSplit, train_test_split

np.random.seed(3)
sales = pd.read_csv("data/daily_sales.csv", parse_dates=["date"]).sort_values("date")
X = sales[["dow", "month", "promo", "lag_7", "lag_28"]]
y = sales["units"]

# last 20% of days as the test period
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, shuffle=False)
for fold, (tr, va) in enumerate(TimeSeriesSplit(n_splits=4).split(X_train)):
    m = GradientBoostingRegressor(random_state=3).fit(X_train.iloc[tr], y_train.iloc[tr])
    print(fold, m.score(X_train.iloc[va], y_train.iloc[va]))

model = GradientBoostingRegressor(random_state=3).fit(X_train, y_train)
print("test R2:", model.score(X_test, y_test))
joblib.dump(model, "sales_gbr.joblib")
