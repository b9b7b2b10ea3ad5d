-- Run once by the postgres image on an empty volume: the service's database
-- (POSTGRES_DB, created by the image) and a second one for MLflow.
CREATE DATABASE mlflow;
