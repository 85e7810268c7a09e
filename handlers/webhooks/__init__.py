"""Webhook pipeline logic shared by the ingest and process Lambda functions.

Standard library only (boto3 is imported by the thin handler modules), so every module here is
a plain function over plain data that tests can call without AWS.
"""
