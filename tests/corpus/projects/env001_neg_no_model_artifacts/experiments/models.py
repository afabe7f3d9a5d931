"""Django models for tracking which ML experiments were run (metadata only)."""
from django.db import models


class Experiment(models.Model):
    name = models.CharField(max_length=200, unique=True)
    owner = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class Metric(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="metrics")
    key = models.CharField(max_length=100)
    value = models.FloatField()
