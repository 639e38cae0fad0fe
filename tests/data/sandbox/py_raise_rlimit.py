# expect: OK
# raises its hard rlimits
import resource
for r in (resource.RLIMIT_CPU, resource.RLIMIT_NPROC, resource.RLIMIT_AS, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE):
    soft, hard = resource.getrlimit(r)
    try:
        resource.setrlimit(r, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        print("ESCAPE: raised", r)
    except (ValueError, OSError) as e:
        print("refused", r, e)
