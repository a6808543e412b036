variable "public" {
  default = true
}

module "orders_db" {
  source      = "../../modules/db"
  name        = "orders"
  public      = var.public
  subnet_ids  = ["subnet-0a"]
  kms_key_arn = aws_kms_key.db.arn
}

module "audit_db" {
  source = "../../modules/db"
  name   = "audit"
}

module "remote" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}

resource "aws_kms_key" "db" {}
