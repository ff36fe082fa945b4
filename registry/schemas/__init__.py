"""marshmallow schemas, named by purpose: <Thing>Create, <Thing>Read, <Thing>Query."""
