# riskgraph: a static binary on a distroless base, running as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/riskgraph ./cmd/riskgraph

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/riskgraph /riskgraph
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/riskgraph"]
CMD ["serve", "--store", "neo4j"]
