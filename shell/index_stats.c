/*
** index_stats.c — `imgsearch index --stats`: where the time of a run went,
** and the process's CPU time and peak memory (getrusage).
**
** May call: getrusage, stdio.  It only prints what the other
** parts measured (index_parts.h).
*/
#include <stdio.h>
#include <sys/resource.h>

#include "index_parts.h"

static double index_seconds(struct timeval tv){
  return tv.tv_sec + tv.tv_usec*1e-6;
}

double index_peak_rss_mb(void){
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss/1024.0;
}

/* The SIFT-only bound: the img_sift time of all workers divided by their
** number is how long the run would take if the workers did nothing but
** SIFT.  Every figure is from this one run.  On a busy machine wall times
** stretch with the load, so the CPU times are given too: the process's CPU
** time over the workers' img_sift CPU time is the work done besides SIFT,
** whatever else runs. */
void index_print_stats(const IndexPhaseTimes *phase, const IndexStageTimes *sum){
  struct rusage usage;
  double wall = phase->end - phase->start;
  double extract = phase->extracted - phase->planned;
  double cpu_user, cpu_system;
  getrusage(RUSAGE_SELF, &usage);
  cpu_user = index_seconds(usage.ru_utime);
  cpu_system = index_seconds(usage.ru_stime);
  fprintf(stderr, "stats: wall %.2f s: plan %.2f s, extract %.2f s, codebook %.2f s,"
          " vectors %.2f s\n", wall, phase->planned - phase->start, extract,
          phase->trained - phase->extracted, phase->end - phase->trained);
  fprintf(stderr, "stats: %d workers, summed: read+hash %.2f s, img_info %.2f s,"
          " img_sift %.2f s (CPU %.2f s), img_vlad %.2f s; writer %.2f s (CPU %.2f s)\n",
          sum->workers, sum->read, sum->info, sum->sift, sum->sift_cpu, sum->vlad,
          sum->write, sum->write_cpu);
  if( sum->workers>0 && sum->sift>0 ){
    double bound = sum->sift / sum->workers;
    fprintf(stderr, "stats: SIFT-only bound (img_sift / %d workers) %.2f s:"
            " extract phase %.3f x, whole run %.3f x\n", sum->workers, bound,
            extract/bound, wall/bound);
  }
  fprintf(stderr, "stats: CPU user %.2f s, system %.2f s; peak RSS %.1f MB"
          " (%.1f MB after extract, %.1f MB after codebook)\n", cpu_user, cpu_system,
          usage.ru_maxrss/1024.0, phase->rss_extracted, phase->rss_trained);
  if( sum->sift_cpu>0 ){
    fprintf(stderr, "stats: process CPU / img_sift CPU = %.3f\n",
            (cpu_user + cpu_system)/sum->sift_cpu);
  }
}
