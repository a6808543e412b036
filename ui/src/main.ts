// Entry: asks for the map before the app (cytoscape is most of the script)
// is fetched and compiled, so the server works while the browser parses.
import "./style.css";
import { startLoad } from "./model";

const first = startLoad();
import("./app").then((m) => m.start(first));
