"""What ships to AWS: the feed contract, the lake layout and I/O, the batch lock, the Lambda
handlers (preflight, notify_failure) and their lazy tracer, and the Glue jobs (jobs/).

The Lambda layer (layers/contract/Makefile) and the Glue bundle (`make glue`) carry only this
sub-package, so nothing here imports telco360.local or telco360.ops (tests/test_package_roles.py).
"""
