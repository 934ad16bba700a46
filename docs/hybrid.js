// Typesets the page's equations with KaTeX once the page has loaded (fsdocs writes $…$ as \( … \) and $$…$$ as
// \[ … \]). A formula KaTeX cannot read throws, so the browser test (which fails on any script error) reports it.
document.addEventListener("DOMContentLoaded", () => {
    renderMathInElement(document.getElementById("content"), {
        delimiters: [
            { left: "\\[", right: "\\]", display: true },
            { left: "\\(", right: "\\)", display: false },
        ],
        ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option"],
        throwOnError: true,
    });
});

// Previous and next page, in the order of the side menu (the home page first, the API reference last), so that
// the course reads as a sequence on any screen, and every page leads on to the next.
document.addEventListener("DOMContentLoaded", () => {
    const pager = document.querySelector("nav.pager");
    if (!pager) return;
    const root = document.documentElement.dataset.root || "/";
    const pages = [{ href: root + "index.html", title: "Home" }];
    for (const a of document.querySelectorAll("#fsdocs-main-menu a.nav-link")) {
        const href = a.getAttribute("href");
        // The namespaces of the API reference are listed in the menu too; the pager leads to its index only.
        if (href.includes("/reference/")) continue;
        if (!pages.some(p => p.href === href)) pages.push({ href, title: a.textContent.trim() });
    }
    pages.push({ href: root + "reference/index.html", title: "API reference" });
    const here = location.pathname.endsWith("/") ? location.pathname + "index.html" : location.pathname;
    const at = pages.findIndex(p => new URL(p.href, location.href).pathname === here);
    if (at < 0) return;
    const link = (page, rel, label) => {
        const a = document.createElement("a");
        a.href = page.href;
        a.rel = rel;
        a.className = rel;
        a.textContent = label + page.title;
        return a;
    };
    if (at > 0) pager.appendChild(link(pages[at - 1], "prev", "← "));
    if (at < pages.length - 1) pager.appendChild(link(pages[at + 1], "next", "Next: "));
});

// Every page is also a notebook for .NET Interactive (fsdocs writes page.ipynb beside page.html): link it.
document.addEventListener("DOMContentLoaded", () => {
    const page = location.pathname.split("/").pop() || "index.html";
    if (location.pathname.includes("/reference/") || !page.endsWith(".html")) return;
    const a = document.createElement("a");
    a.href = page.replace(/\.html$/, ".ipynb");
    a.className = "notebook";
    a.download = "";
    a.textContent = "Open this page as a notebook (.ipynb)";
    const p = document.createElement("p");
    p.className = "notebook-link";
    p.appendChild(a);
    const content = document.getElementById("content");
    content.insertBefore(p, content.firstChild);
});
