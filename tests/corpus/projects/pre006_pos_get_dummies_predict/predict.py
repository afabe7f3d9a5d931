"""Monthly attrition-risk report."""
import joblib
import pandas as pd


def predict(csv_path):
    clf = joblib.load("models/attrition_lr.joblib")
    staff = pd.read_csv(csv_path)
    X = pd.get_dummies(staff.drop(columns=["employee_id"]), columns=["department", "salary_band"])  # expect: PRE006
    return staff.assign(risk=clf.predict_proba(X)[:, 1]).sort_values("risk", ascending=False)


if __name__ == "__main__":
    predict("data/hr_current.csv").head(25).to_csv("reports/attrition_risk.csv", index=False)
