"""Throughput benchmark: a scaled multi-channel sample, the run, and the references it is compared with."""
