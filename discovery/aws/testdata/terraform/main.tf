# The same estate as testdata/estate, as its Terraform declares part of it:
# a live run and a Terraform run must name these resources with the same ids.

resource "aws_s3_bucket" "assets" {
  bucket = "public-assets"
}

resource "aws_dynamodb_table" "orders" {
  name         = "orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
}

resource "aws_db_instance" "orders" {
  identifier          = "orders-db"
  engine              = "postgres"
  publicly_accessible = true
}

resource "aws_rds_cluster" "ledger" {
  cluster_identifier = "ledger"
  engine             = "aurora-mysql"
}

resource "aws_iam_role" "webhook" {
  name               = "webhook-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_lambda_function" "webhook" {
  function_name = "webhook"
  role          = aws_iam_role.webhook.arn
  runtime       = "python3.12"
  handler       = "app.handler"
}

resource "aws_ecs_service" "orders" {
  name = "orders-svc"
}

resource "aws_instance" "bastion" {
  ami  = "ami-0c55b159cbfafe1f0"
  tags = { Name = "bastion" }
}

resource "aws_lb" "shop" {
  name = "shop-alb"
}

resource "aws_api_gateway_rest_api" "shop" {
  name = "shop-api"
}

resource "aws_apigatewayv2_api" "events" {
  name          = "events-http"
  protocol_type = "HTTP"
}
