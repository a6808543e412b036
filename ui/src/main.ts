// Entry: asks for the map before the app (cytoscape is most of the script)
// is fetched and compiled, so the server works while the browser parses.
import "./style.css";
import { loadMap } from "./model";

const first = loadMap();
first.catch(() => {}); // the app reports it
import("./app").then((m) => m.start(first));
