# A Docker build target per service, all from services/Dockerfile (run from the repository root):
#   docker buildx bake -f services/docker-bake.hcl                  # all four
#   docker buildx bake -f services/docker-bake.hcl stock-ledger     # one
#   REGISTRY=registry.example.com/stockcast TAG=1.4.0 docker buildx bake -f services/docker-bake.hcl --push
variable "REGISTRY" {
  default = "stockcast"
}

variable "TAG" {
  default = "dev"
}

group "default" {
  targets = ["service"]
}

target "service" {
  name = svc
  matrix = {
    svc = ["stock-ledger", "warehouse-connector", "alerting", "overlay-broadcast"]
  }
  context    = "."
  dockerfile = "services/Dockerfile"
  args = {
    SERVICE = svc
  }
  tags = ["${REGISTRY}/${svc}:${TAG}"]
}
