variable "name" {}
variable "public" {
  default = false
}
variable "subnet_ids" {
  default = []
}
variable "kms_key_arn" {
  default = null
}

resource "aws_db_instance" "this" {
  identifier          = "${var.name}-db"
  engine              = "postgres"
  publicly_accessible = var.public
  storage_encrypted   = var.kms_key_arn != null
}
