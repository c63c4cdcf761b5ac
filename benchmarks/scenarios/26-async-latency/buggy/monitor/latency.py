import statistics


async def mean_latency(samples):
    return statistics.mean(samples)
