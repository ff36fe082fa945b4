"""The partner exchange: what a foreign partner or CERT-style platform may receive, as STIX 2.1
(stix.py), a MISP feed (misp.py) and a TAXII 2.1 collection (taxii.py), gathered once (sources.py)."""
