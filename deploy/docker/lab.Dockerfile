# The lab tool (agents, the fleet, the merge): a framework-dependent publish of sim/Lab.
#   docker build -f deploy/docker/lab.Dockerfile -t roundrobinlab/lab .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish sim/Lab -c Release -o /lab

FROM mcr.microsoft.com/dotnet/aspnet:10.0
COPY --from=build /lab /lab
USER app
ENTRYPOINT ["/lab/lab"]
