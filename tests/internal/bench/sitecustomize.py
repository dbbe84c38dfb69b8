# Puts a Python process (the aws CLI) on a rehearsal's one AWS clock, which runs `scale` AWS seconds
# per real second: aws = aws_start + (real - real_start) * scale, the emulator's awsclock.
#
# Python imports sitecustomize at start-up, before the program's own imports, when its directory is
# on PYTHONPATH. Which clocks the aws CLI's waits read (awscli 1.45, botocore 1.43):
#   - botocore/waiter.py (`aws deploy wait`, and `aws ecs deploy`'s wait_for_deploy_success, which is
#     the same DeploymentSuccessful waiter with Delay 15 and MaxAttempts wait/15): time.sleep(Delay)
#     between attempts, a count of attempts, no deadline on any clock;
#   - retries: botocore/endpoint.py (legacy mode) calls time.sleep; retries/standard.py binds
#     sleep=time.sleep as a default argument when it is imported, after this file ran; the adaptive
#     mode's token bucket reads time.time.
# So time.sleep must sleep d/scale; time.time and time.monotonic run on the AWS clock too, so that
# any deadline read around those sleeps agrees with them. Not patched: datetime (SigV4 dates; the
# emulator accepts any signature), time.perf_counter, and real timeouts (sockets, threads), which
# stay real as they are in the emulator.
#
# Set by the benchmark: BENCH_AWSCLOCK_SCALE, BENCH_AWSCLOCK_REAL_START and BENCH_AWSCLOCK_AWS_START
# (Unix seconds). Without them this file changes nothing.
import os as _os
import time as _time


def _install():
    try:
        scale = float(_os.environ["BENCH_AWSCLOCK_SCALE"])
        real_start = float(_os.environ["BENCH_AWSCLOCK_REAL_START"])
        aws_start = float(_os.environ["BENCH_AWSCLOCK_AWS_START"])
    except (KeyError, ValueError):
        return
    if scale <= 0:
        return
    real_time, real_sleep, real_monotonic = _time.time, _time.sleep, _time.monotonic
    monotonic_origin = real_monotonic()

    def aws_time():
        return aws_start + (real_time() - real_start) * scale

    def aws_monotonic():
        return monotonic_origin + (real_monotonic() - monotonic_origin) * scale

    def sleep(seconds):
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        real_sleep(seconds / scale)

    _time.time = aws_time
    _time.time_ns = lambda: int(aws_time() * 1e9)
    _time.monotonic = aws_monotonic
    _time.monotonic_ns = lambda: int(aws_monotonic() * 1e9)
    _time.sleep = sleep


_install()
