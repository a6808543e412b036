{{- define "shop.name" -}}{{ .Chart.Name }}-web{{- end -}}
