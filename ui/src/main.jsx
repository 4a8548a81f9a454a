// miniDC/OS's web UI: DC/OS's views (dashboard, services, jobs, catalog,
// nodes, components) on DC/OS's design system, over the cluster's own APIs.
import React from "react";
import { createRoot } from "react-dom/client";

import systemSprite from "@dcos/ui-kit/dist/packages/icons/dist/system-icons-sprite.svg";
import productSprite from "@dcos/ui-kit/dist/packages/icons/dist/product-icons-sprite.svg";
import { App } from "./App.jsx";
import "./style.css";

// ui-kit's icons are <use> references into these sprites.
const sprites = document.createElement("div");
// Hidden without display:none, which would also hide the gradients icons use.
sprites.style.cssText = "position:absolute;width:0;height:0;overflow:hidden";
sprites.innerHTML = systemSprite + productSprite;
document.body.prepend(sprites);

createRoot(document.getElementById("application")).render(<App />);
