# The Native AOT proxy: one executable on a minimal base (./run-lab.sh publish first).
#   docker build -f deploy/docker/rrproxy.Dockerfile -t roundrobinlab/rrproxy .
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
COPY artifacts/proxy/rrproxy /usr/local/bin/rrproxy
USER app
ENTRYPOINT ["/usr/local/bin/rrproxy"]
