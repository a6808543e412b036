import { defineConfig } from "vite";

// The build is committed (ui/dist) and CI checks it is current, so it must
// be reproducible: content-hashed names, no timestamps, no source maps.
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
    chunkSizeWarningLimit: 2000,
    assetsInlineLimit: 0,
  },
  server: { proxy: { "/graphql": "http://127.0.0.1:8080" } },
});
