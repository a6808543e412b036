resource "aws_lb" "web" {
  name               = "${var.env}-web"
  internal           = false
  load_balancer_type = "application"
  security_groups    = [aws_security_group.alb.id]
  subnets            = [aws_subnet.public.id]
}

resource "aws_lb" "internal" {
  name     = "${var.env}-internal"
  internal = true
  subnets  = [aws_subnet.private.id]
}

resource "aws_lb_target_group" "app" {
  name     = "app"
  port     = 8080
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.web.arn
  port              = 443
  protocol          = "HTTPS"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

resource "aws_lb_target_group_attachment" "app" {
  target_group_arn = aws_lb_target_group.app.arn
  target_id        = aws_instance.app.id
  port             = 8080
}

resource "aws_instance" "app" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.small"
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.app.id]
  iam_instance_profile   = aws_iam_instance_profile.app.name
  tags = {
    Name = "${var.env}-app"
  }
}

resource "aws_instance" "bastion" {
  ami                         = "ami-0123456789abcdef0"
  subnet_id                   = aws_subnet.public.id
  associate_public_ip_address = false
  vpc_security_group_ids      = [aws_security_group.app.id]
  tags = {
    Name = "bastion"
  }
}

resource "aws_db_instance" "orders" {
  identifier             = "${var.env}-orders"
  engine                 = "postgres"
  storage_encrypted      = true
  publicly_accessible    = true
  db_subnet_group_name   = aws_db_subnet_group.public.name
  vpc_security_group_ids = [aws_security_group.db_open.id]
}

resource "aws_db_subnet_group" "public" {
  name       = "public"
  subnet_ids = [aws_subnet.public.id]
}

resource "aws_dynamodb_table" "carts" {
  name         = "${var.env}-carts"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "cartId"
}

resource "aws_s3_bucket" "assets" {
  bucket = "${var.env}-assets"
  acl    = "public-read"
}

resource "aws_s3_bucket" "exports" {
  bucket = "${var.env}-exports"
}

resource "aws_s3_bucket_policy" "exports" {
  bucket = aws_s3_bucket.exports.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.exports.arn}/*"
    }]
  })
}

resource "aws_s3_bucket_public_access_block" "exports" {
  bucket                  = aws_s3_bucket.exports.id
  block_public_policy     = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "exports" {
  bucket = aws_s3_bucket.exports.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_lambda_function" "cart" {
  function_name = "${var.env}-cart"
  role          = aws_iam_role.cart.arn
  runtime       = "python3.12"
  handler       = "main.handler"
  environment {
    variables = {
      TABLE_NAME = aws_dynamodb_table.carts.name
      API_TOKEN  = "tok-live-0000"
      STRIPE_URL = "https://api.stripe.com/v1"
    }
  }
}

resource "aws_api_gateway_rest_api" "shop" {
  name = "${var.env}-api"
}

resource "aws_api_gateway_resource" "cart" {
  rest_api_id = aws_api_gateway_rest_api.shop.id
  parent_id   = aws_api_gateway_rest_api.shop.root_resource_id
  path_part   = "cart"
}

resource "aws_api_gateway_method" "get_cart" {
  rest_api_id   = aws_api_gateway_rest_api.shop.id
  resource_id   = aws_api_gateway_resource.cart.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "get_cart" {
  rest_api_id             = aws_api_gateway_rest_api.shop.id
  resource_id             = aws_api_gateway_resource.cart.id
  http_method             = "GET"
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.cart.invoke_arn
}

resource "some_unknown_provider_thing" "x" {
  anything = "goes"
}

resource "aws_ecs_task_definition" "orders" {
  family = "orders"
  container_definitions = jsonencode([{
    name  = "orders"
    image = "registry.example/orders:1.4.2"
    environment = [
      { name = "DATABASE_HOST", value = aws_db_instance.orders.address },
    ]
  }])
}

resource "aws_ecs_service" "orders" {
  name            = "orders"
  task_definition = aws_ecs_task_definition.orders.arn
  load_balancer {
    target_group_arn = aws_lb_target_group.app.arn
    container_name   = "orders"
    container_port   = 8080
  }
}

resource "aws_lambda_event_source_mapping" "cart_stream" {
  event_source_arn  = aws_dynamodb_table.carts.stream_arn
  function_name     = aws_lambda_function.cart.arn
  starting_position = "LATEST"
}

resource "aws_lambda_function" "thumbnails" {
  function_name = "${var.env}-thumbnails"
  runtime       = "python3.12"
  handler       = "main.handler"
}

resource "aws_s3_bucket_notification" "assets" {
  bucket = aws_s3_bucket.assets.id
  lambda_function {
    lambda_function_arn = aws_lambda_function.thumbnails.arn
    events              = ["s3:ObjectCreated:*"]
  }
}
