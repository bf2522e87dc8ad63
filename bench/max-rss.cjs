// Preloaded into the connector process by the benchmark: reports its peak memory and CPU time when it exits.
process.on('exit', () => {
  const usage = process.resourceUsage();
  process.stderr.write(
    `\nBENCH_MAX_RSS_KB=${usage.maxRSS} BENCH_CPU_MS=${Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)}\n`,
  );
});
